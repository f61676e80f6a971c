-- Measure 10. The make-up of people assessed and of people commencing in
-- the reference year, by age band, sex and ethnic group: shares of each
-- total. A person is counted once per population, with the
-- characteristics of their first assessment or Order in the year: the one
-- in the year whose previous one (see the views) was before it.
WITH assessed AS (
  SELECT age_band, sex_label, ethnic_group
  FROM assessments_labelled
  WHERE assessment_date BETWEEN $year_start AND $year_end
    AND (previous_assessment_date IS NULL OR previous_assessment_date < $year_start)
), commenced AS (
  SELECT age_band, sex_label, ethnic_group
  FROM orders_labelled
  WHERE commencement_date BETWEEN $year_start AND $year_end
    AND (previous_commencement_date IS NULL OR previous_commencement_date < $year_start)
), people AS (
  SELECT 'People assessed' AS population, * FROM assessed
  UNION ALL
  SELECT 'People commencing' AS population, * FROM commenced
), grouped AS (
  SELECT
    population,
    CASE
      WHEN grouping(age_band) = 0 THEN 'Age band'
      WHEN grouping(sex_label) = 0 THEN 'Sex'
      ELSE 'Ethnic group'
    END AS breakdown,
    COALESCE(age_band, sex_label, ethnic_group) AS "group",
    count(*) AS numerator
  FROM people
  GROUP BY GROUPING SETS ((population, age_band), (population, sex_label), (population, ethnic_group))
)
SELECT g.population, g.breakdown, g."group", g.numerator, t.denominator
FROM grouped g
JOIN (SELECT population, count(*) AS denominator FROM people GROUP BY population) t USING (population)
ORDER BY g.population, g.breakdown, g."group"
