-- Measures 5 and 6: the mean number of proven offences per person, over one
-- and two years. The cohorts, index Orders and the offences counted are
-- those of the two reconviction tables: the one-year cohort commenced in the
-- 12 months ending 18 months before the period end, the two-year cohort in
-- the 12 months ending 30 months before; offences after the index date and
-- within the follow-up, convicted within a further 182 days and by as_at.
-- The index Order is a person's earliest in the window; ties go to the
-- Order whose id carries the smaller number (O9 before O10), then to the
-- smaller id as text (order_number, in orders_labelled).
WITH follow_ups AS (
  SELECT 'One year' AS follow_up, 365 AS days,
         $reconviction_1y_start AS window_start, $reconviction_1y_end AS window_end
  UNION ALL
  SELECT 'Two years', 730, $reconviction_2y_start, $reconviction_2y_end
), cohort AS (
  SELECT * FROM (
    SELECT w.follow_up, o.order_id, o.person_id, o.commencement_date,
           CASE WHEN w.days = 365 THEN o.commencement_date + INTERVAL '365 days'
                ELSE o.commencement_date + INTERVAL '730 days' END AS follow_up_end,
           CASE WHEN w.days = 365 THEN o.commencement_date + INTERVAL '547 days'
                ELSE o.commencement_date + INTERVAL '912 days' END AS conviction_end,
           row_number() OVER (
             PARTITION BY w.follow_up, o.person_id
             ORDER BY o.commencement_date, length(o.order_number) NULLS LAST, o.order_number, o.order_id
           ) AS nth
    FROM follow_ups w
    JOIN orders_labelled o
      ON o.commencement_date BETWEEN w.window_start AND w.window_end
  ) WHERE nth = 1
), offences AS (
  SELECT c.follow_up, c.order_id, count(r.person_id) AS offences
  FROM cohort c
  LEFT JOIN reconvictions r
    ON r.person_id = c.person_id
   AND r.offence_date > c.commencement_date
   AND r.offence_date <= c.follow_up_end
   AND r.conviction_date <= c.conviction_end
   AND r.conviction_date <= $as_at
  GROUP BY c.follow_up, c.order_id
)
SELECT
  f.follow_up,
  g.breakdown,
  g."group",
  sum(f.offences) AS total,
  count(*) AS denominator
FROM offences f
JOIN order_groups_and_ending g USING (order_id)
GROUP BY f.follow_up, g.breakdown, g."group"
ORDER BY 1, 2, 3
