-- Measure 2. Orders whose termination date falls in the reference year,
-- by termination reason, in the words and order of
-- reference/termination_reasons.csv; `All reasons` is every termination of
-- the group. Each group with a termination has a row for every reason of
-- the list, 0 where none ended that way: the same rows every edition, and
-- a sentence about a reason says 0 rather than nothing.
WITH ended AS (
  SELECT g.breakdown, g."group", CAST(o.termination_reason AS VARCHAR) AS code
  FROM orders_labelled o
  JOIN order_groups g USING (order_id)
  WHERE o.termination_date BETWEEN $year_start AND $year_end
), by_reason AS (
  SELECT g.breakdown, g."group", r.label AS termination_reason, r.sort_order, count(e.code) AS count
  FROM (SELECT DISTINCT breakdown, "group" FROM ended) g
  CROSS JOIN termination_reasons r
  LEFT JOIN ended e
    ON e.breakdown = g.breakdown AND e."group" = g."group" AND e.code = r.code
  GROUP BY g.breakdown, g."group", r.label, r.sort_order
  UNION ALL
  SELECT breakdown, "group", 'All reasons', 0, count(*)
  FROM ended
  GROUP BY breakdown, "group"
)
SELECT breakdown, "group", termination_reason, count
FROM by_reason
ORDER BY breakdown, "group", sort_order
