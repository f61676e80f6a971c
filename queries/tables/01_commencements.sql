-- Measure 1. Orders commenced in the reference year.
SELECT g.breakdown, g."group", count(*) AS count
FROM orders_labelled o
JOIN order_groups g USING (order_id)
WHERE o.commencement_date BETWEEN $year_start AND $year_end
GROUP BY g.breakdown, g."group"
ORDER BY 1, 2
