-- The usual breakdowns and how the Order ended, for the measures that
-- publish outcomes by it (reconviction, drug misuse, continuity of care).
SELECT * FROM order_groups
UNION ALL
SELECT * FROM order_extra_groups WHERE breakdown = 'How the Order ended'
