-- Measure 2. Orders whose termination date falls in the reference year,
-- by termination reason; `All reasons` is every termination of the group.
WITH ended AS (
  SELECT g.breakdown, g."group", CAST(o.termination_reason AS VARCHAR) AS termination_reason
  FROM orders_labelled o
  JOIN order_groups g USING (order_id)
  WHERE o.termination_date BETWEEN $year_start AND $year_end
)
SELECT breakdown, "group", termination_reason, count(*) AS count
FROM ended
GROUP BY breakdown, "group", termination_reason
UNION ALL
SELECT breakdown, "group", 'All reasons', count(*)
FROM ended
GROUP BY breakdown, "group"
ORDER BY 1, 2, 3
