-- Measure 8. Assessments dated in the reference year: the share found
-- suitable.
SELECT
  g.breakdown,
  g."group",
  sum(CASE WHEN a.outcome = 'suitable' THEN 1 ELSE 0 END) AS numerator,
  count(*) AS denominator
FROM assessments_labelled a
JOIN assessment_groups g USING (assessment_id)
WHERE a.assessment_date BETWEEN $year_start AND $year_end
GROUP BY g.breakdown, g."group"
ORDER BY 1, 2
