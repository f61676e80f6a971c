-- Measure 8. Assessments dated in the reference year: the share found
-- suitable.
SELECT
  CASE
    WHEN grouping(age_band) = 0 THEN 'Age band'
    WHEN grouping(sex_label) = 0 THEN 'Sex'
    WHEN grouping(ethnic_group) = 0 THEN 'Ethnic group'
    WHEN grouping(area_name) = 0 THEN 'Probation area'
    WHEN grouping(mental_health) = 0 THEN 'Mental health problem'
    ELSE 'National'
  END AS breakdown,
  COALESCE(age_band, sex_label, ethnic_group, area_name, mental_health, 'All') AS "group",
  sum(CASE WHEN outcome = 'suitable' THEN 1 ELSE 0 END) AS numerator,
  count(*) AS denominator
FROM assessments_labelled
WHERE assessment_date BETWEEN $year_start AND $year_end
GROUP BY GROUPING SETS ((), (age_band), (sex_label), (ethnic_group), (area_name), (mental_health))
ORDER BY breakdown, "group"
