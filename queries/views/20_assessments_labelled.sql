-- One row per assessment with the publication's labels, from the reference
-- lists as in orders_labelled.
SELECT
  x.assessment_id,
  x.person_id,
  a.name AS area_name,
  x.assessment_date,
  -- The date of the same person's assessment before this one (by date,
  -- then assessment_id); NULL for their first. As for Orders in
  -- orders_labelled: a person's first assessment in a period is the one in
  -- it whose previous assessment was before it.
  lag(x.assessment_date) OVER (
    PARTITION BY x.person_id ORDER BY x.assessment_date, x.assessment_id
  ) AS previous_assessment_date,
  CAST(x.outcome AS VARCHAR) AS outcome,
  COALESCE(b.age_band, 'Not known') AS age_band,
  COALESCE(s.sex_label, 'Not known') AS sex_label,
  COALESCE(e.ethnic_group, 'Not stated') AS ethnic_group,
  COALESCE(mh.label, 'Not known') AS mental_health
FROM assessments x
LEFT JOIN age_bands b ON x.age BETWEEN b.min_age AND b.max_age
LEFT JOIN sex s ON CAST(x.sex AS VARCHAR) = s.code
LEFT JOIN ethnicity e ON CAST(x.ethnicity AS VARCHAR) = e.code
LEFT JOIN probation_areas a ON CAST(x.area_code AS VARCHAR) = a.code
LEFT JOIN yes_no mh ON CAST(x.mental_health AS VARCHAR) = mh.code
