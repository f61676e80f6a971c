-- Measure 9. Orders terminated in the 12 months ending one quarter before
-- the period end (deaths excluded): the share whose person started
-- treatment on the termination date or within 21 days after it.
WITH ended AS (
  SELECT * FROM orders
  WHERE termination_date BETWEEN $lagged_start AND $lagged_end
    AND termination_reason <> 'died'
), followed AS (
  SELECT o.order_id, count(e.person_id) AS episodes
  FROM ended o
  LEFT JOIN treatment_episodes e
    ON e.person_id = o.person_id
   AND e.start_date >= o.termination_date
   AND e.start_date <= o.termination_date + INTERVAL '21 days'
  GROUP BY o.order_id
)
SELECT
  g.breakdown,
  g."group",
  sum(CASE WHEN f.episodes > 0 THEN 1 ELSE 0 END) AS numerator,
  count(*) AS denominator
FROM followed f
JOIN order_groups_and_ending g USING (order_id)
GROUP BY g.breakdown, g."group"
ORDER BY 1, 2
