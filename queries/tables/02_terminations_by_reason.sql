-- Measure 2. Orders whose termination date falls in the reference year,
-- by termination reason.
SELECT g.breakdown, g."group", o.termination_reason, count(*) AS count
FROM orders_labelled o
JOIN order_groups g USING (order_id)
WHERE o.termination_date BETWEEN $year_start AND $year_end
GROUP BY g.breakdown, g."group", o.termination_reason
ORDER BY 1, 2, 3
