-- The breakdowns only some measures publish; a table adds the ones it needs
-- to order_groups.
SELECT order_id, 'Order type' AS breakdown, order_type AS "group" FROM orders_labelled
UNION ALL SELECT order_id, 'Accommodation', accommodation FROM orders_labelled
UNION ALL SELECT order_id, 'Motivation group', motivation_group FROM orders_labelled
UNION ALL SELECT order_id, 'Mental health problem', mental_health FROM orders_labelled
UNION ALL SELECT order_id, 'Primary drug', primary_drug FROM orders_labelled
UNION ALL SELECT order_id, 'How the Order ended', how_ended FROM orders_labelled
