-- Measure 1. Orders commenced in the reference year.
SELECT
  CASE
    WHEN grouping(age_band) = 0 THEN 'Age band'
    WHEN grouping(sex_label) = 0 THEN 'Sex'
    WHEN grouping(ethnic_group) = 0 THEN 'Ethnic group'
    WHEN grouping(area_name) = 0 THEN 'Probation area'
    ELSE 'National'
  END AS breakdown,
  COALESCE(age_band, sex_label, ethnic_group, area_name, 'All') AS "group",
  count(*) AS count
FROM orders_labelled
WHERE commencement_date BETWEEN $year_start AND $year_end
GROUP BY GROUPING SETS ((), (age_band), (sex_label), (ethnic_group), (area_name))
ORDER BY breakdown, "group"
