-- Measure 7. Of the same Orders, the share whose positive share (all valid
-- tests, both substances) was lower in the last 28 days than in the first.
WITH ended AS (
  SELECT * FROM orders
  WHERE termination_date BETWEEN $year_start AND $year_end
    AND termination_date >= commencement_date + INTERVAL '56 days'
), shares AS (
  SELECT
    o.order_id,
    avg(CASE WHEN t.test_date < o.commencement_date + INTERVAL '28 days'
             THEN CASE WHEN t.result = 'positive' THEN 1.0 ELSE 0.0 END END) AS first_share,
    avg(CASE WHEN t.test_date > o.termination_date - INTERVAL '28 days'
             THEN CASE WHEN t.result = 'positive' THEN 1.0 ELSE 0.0 END END) AS last_share
  FROM ended o
  JOIN drug_tests t ON t.order_id = o.order_id
  WHERE t.result IN ('positive', 'negative')
  GROUP BY o.order_id
)
SELECT
  g.breakdown,
  g."group",
  sum(CASE WHEN s.last_share < s.first_share THEN 1 ELSE 0 END) AS numerator,
  count(*) AS denominator
FROM shares s
JOIN order_groups_and_ending g USING (order_id)
WHERE s.first_share IS NOT NULL AND s.last_share IS NOT NULL
GROUP BY g.breakdown, g."group"
ORDER BY 1, 2
