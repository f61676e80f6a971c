-- Measure 6. Proven reconviction within two years. The cohort: each person
-- with an Order commenced in the 12 months ending 30 months before the
-- period end, once, with their index Order; reconvicted: a proven offence
-- within two years of it (reconviction_cohort says which Order and which
-- offences).
SELECT
  g.breakdown,
  g."group",
  sum(CASE WHEN c.offences_2y > 0 THEN 1 ELSE 0 END) AS numerator,
  count(*) AS denominator
FROM reconviction_cohort c
JOIN order_groups_and_ending g USING (order_id)
WHERE c.commencement_date BETWEEN $reconviction_2y_start AND $reconviction_2y_end
  AND (c.previous_commencement IS NULL OR c.previous_commencement < $reconviction_2y_start)
GROUP BY g.breakdown, g."group"
ORDER BY 1, 2
