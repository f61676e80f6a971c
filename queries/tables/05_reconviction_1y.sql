-- Measure 5. Proven reconviction within one year. Each person with an Order
-- commenced in the cohort window (the 12 months ending 18 months before
-- the period end) enters once, with their earliest Order there as the
-- index Order. Ties go to the Order whose id carries the smaller number
-- (O9 before O10), then to the smaller id as text: order_number, defined
-- in orders_labelled. Reconvicted: an offence after the index date and no
-- more than 365 days after it, convicted no more than 365 + 182 days after
-- the index date (the waiting period) and by as_at.
WITH cohort AS (
  SELECT * FROM (
    SELECT o.*, row_number() OVER (
             PARTITION BY person_id
             ORDER BY commencement_date, length(order_number) NULLS LAST, order_number, order_id
           ) AS nth
    FROM orders_labelled o
    WHERE commencement_date BETWEEN $reconviction_1y_start AND $reconviction_1y_end
  ) WHERE nth = 1
), offences AS (
  SELECT c.order_id, count(r.person_id) AS offences
  FROM cohort c
  LEFT JOIN reconvictions r
    ON r.person_id = c.person_id
   AND r.offence_date > c.commencement_date
   AND r.offence_date <= c.commencement_date + INTERVAL '365 days'
   AND r.conviction_date <= c.commencement_date + INTERVAL '547 days'
   AND r.conviction_date <= $as_at
  GROUP BY c.order_id
)
SELECT
  g.breakdown,
  g."group",
  sum(CASE WHEN f.offences > 0 THEN 1 ELSE 0 END) AS numerator,
  count(*) AS denominator
FROM offences f
JOIN order_groups_and_ending g USING (order_id)
GROUP BY g.breakdown, g."group"
ORDER BY 1, 2
