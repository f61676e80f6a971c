-- Measure 9. Orders terminated in the 12 months ending one quarter before
-- the period end (deaths excluded): the share whose person started
-- treatment on the termination date or within 21 days after it.
WITH ended AS (
  SELECT * FROM orders_labelled
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
  CASE
    WHEN grouping(age_band) = 0 THEN 'Age band'
    WHEN grouping(sex_label) = 0 THEN 'Sex'
    WHEN grouping(ethnic_group) = 0 THEN 'Ethnic group'
    WHEN grouping(area_name) = 0 THEN 'Probation area'
    WHEN grouping(how_ended) = 0 THEN 'How the Order ended'
    ELSE 'National'
  END AS breakdown,
  COALESCE(age_band, sex_label, ethnic_group, area_name, how_ended, 'All') AS "group",
  sum(CASE WHEN f.episodes > 0 THEN 1 ELSE 0 END) AS numerator,
  count(*) AS denominator
FROM ended o
JOIN followed f USING (order_id)
GROUP BY GROUPING SETS ((), (age_band), (sex_label), (ethnic_group), (area_name), (how_ended))
ORDER BY breakdown, "group"
