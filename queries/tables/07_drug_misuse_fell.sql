-- Measure 7. Of the same Orders, the share whose positive share (all valid
-- tests, both substances) was lower in the last 28 days than in the first.
WITH ended AS (
  SELECT * FROM orders_labelled
  WHERE termination_date BETWEEN $year_start AND $year_end
    AND termination_date >= commencement_date + INTERVAL '56 days'
), shares AS (
  SELECT
    o.order_id,
    avg(CASE WHEN t.test_date < o.commencement_date + INTERVAL '28 days'
             THEN CASE WHEN t.result = 'positive' THEN 1.0 ELSE 0.0 END END) AS first_share,
    avg(CASE WHEN t.test_date > o.termination_date - INTERVAL '28 days'
             THEN CASE WHEN t.result = 'positive' THEN 1.0 ELSE 0.0 END END) AS last_share
  FROM ended o
  JOIN drug_tests t ON t.order_id = o.order_id
  WHERE t.result IN ('positive', 'negative')
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
  sum(CASE WHEN s.last_share < s.first_share THEN 1 ELSE 0 END) AS numerator,
  count(*) AS denominator
FROM shares s
JOIN ended o USING (order_id)
WHERE s.first_share IS NOT NULL AND s.last_share IS NOT NULL
GROUP BY GROUPING SETS ((), (age_band), (sex_label), (ethnic_group), (area_name), (how_ended))
ORDER BY breakdown, "group"
