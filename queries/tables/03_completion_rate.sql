-- Measure 3. Of the Orders terminated in the reference year, the share
-- completed or ended early for good progress.
SELECT
  g.breakdown,
  g."group",
  sum(CASE WHEN o.termination_reason IN ('completed', 'early_good_progress') THEN 1 ELSE 0 END) AS numerator,
  count(*) AS denominator
FROM orders_labelled o
JOIN (
  SELECT * FROM order_groups
  UNION ALL
  SELECT * FROM order_extra_groups WHERE breakdown <> 'How the Order ended'
) g USING (order_id)
WHERE o.termination_date BETWEEN $year_start AND $year_end
GROUP BY g.breakdown, g."group"
ORDER BY 1, 2
