-- Measure 2. Orders whose termination date falls in the reference year,
-- by termination reason.
SELECT
  CASE
    WHEN grouping(age_band) = 0 THEN 'Age band'
    WHEN grouping(sex_label) = 0 THEN 'Sex'
    WHEN grouping(ethnic_group) = 0 THEN 'Ethnic group'
    WHEN grouping(area_name) = 0 THEN 'Probation area'
    ELSE 'National'
  END AS breakdown,
  COALESCE(age_band, sex_label, ethnic_group, area_name, 'All') AS "group",
  termination_reason,
  count(*) AS count
FROM orders_labelled
WHERE termination_date BETWEEN $year_start AND $year_end
GROUP BY GROUPING SETS (
  (termination_reason), (age_band, termination_reason), (sex_label, termination_reason),
  (ethnic_group, termination_reason), (area_name, termination_reason)
)
ORDER BY breakdown, "group", termination_reason
