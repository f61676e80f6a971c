-- Measures 5 and 6: the mean number of proven offences per person, over one
-- and two years, for the cohorts of the two reconviction tables: the
-- one-year cohort commenced in the 12 months ending 18 months before the
-- period end, the two-year cohort in the 12 months ending 30 months before
-- (reconviction_cohort says which Order and which offences).
WITH follow_ups AS (
  SELECT 'One year' AS follow_up, order_id, offences_1y AS offences
  FROM reconviction_cohort
  WHERE commencement_date BETWEEN $reconviction_1y_start AND $reconviction_1y_end
    AND (previous_commencement IS NULL OR previous_commencement < $reconviction_1y_start)
  UNION ALL
  SELECT 'Two years', order_id, offences_2y
  FROM reconviction_cohort
  WHERE commencement_date BETWEEN $reconviction_2y_start AND $reconviction_2y_end
    AND (previous_commencement IS NULL OR previous_commencement < $reconviction_2y_start)
)
SELECT
  f.follow_up,
  g.breakdown,
  g."group",
  sum(f.offences) AS total,
  count(*) AS denominator
FROM follow_ups f
JOIN order_groups_and_ending g USING (order_id)
GROUP BY f.follow_up, g.breakdown, g."group"
ORDER BY 1, 2, 3
