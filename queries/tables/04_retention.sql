-- Measure 4. Retention at 12 weeks. Cohort: Orders commenced in the 12
-- months ending one quarter before the period end. Retained: still running,
-- or terminated on or after day 84, or completed / ended early for good
-- progress. Orders ended by death before day 84 leave the cohort.
SELECT
  CASE
    WHEN grouping(age_band) = 0 THEN 'Age band'
    WHEN grouping(sex_label) = 0 THEN 'Sex'
    WHEN grouping(ethnic_group) = 0 THEN 'Ethnic group'
    WHEN grouping(area_name) = 0 THEN 'Probation area'
    ELSE 'National'
  END AS breakdown,
  COALESCE(age_band, sex_label, ethnic_group, area_name, 'All') AS "group",
  sum(CASE
        WHEN termination_date IS NULL
          OR termination_date >= commencement_date + INTERVAL '84 days'
          OR termination_reason IN ('completed', 'early_good_progress')
        THEN 1 ELSE 0 END) AS numerator,
  count(*) AS denominator
FROM orders_labelled
WHERE commencement_date BETWEEN $lagged_start AND $lagged_end
  AND NOT (COALESCE(termination_reason, '') = 'died'
           AND termination_date < commencement_date + INTERVAL '84 days')
GROUP BY GROUPING SETS ((), (age_band), (sex_label), (ethnic_group), (area_name))
ORDER BY breakdown, "group"
