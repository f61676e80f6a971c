-- Every Order with what the reconviction measures (5 and 6) need of it.
-- A person enters a reconviction cohort once, with their index Order: their
-- earliest Order commenced in the cohort window, ties going to the Order
-- whose id carries the smaller number (O9 before O10), then to the smaller
-- id as text (order_number, in orders_labelled). So an Order is the index
-- Order of a window when it commenced in the window and the person's Order
-- before it did not: its previous_commencement is before the window starts,
-- or it has none. A table selects its cohort with
--   commencement_date BETWEEN $X_start AND $X_end
--   AND (previous_commencement IS NULL OR previous_commencement < $X_start)
-- Proven offences count when committed after the commencement date and no
-- more than 365 (730) days after it, and convicted no more than 365 + 182
-- (730 + 182) days after it, the waiting period. Every conviction counted
-- is by as_at: the extract contract refuses a later one.
WITH ordered AS (
  SELECT order_id, person_id, commencement_date,
         lag(commencement_date) OVER (
           PARTITION BY person_id
           ORDER BY commencement_date, length(order_number) NULLS LAST, order_number, order_id
         ) AS previous_commencement
  FROM orders_labelled
)
SELECT
  o.order_id,
  o.commencement_date,
  o.previous_commencement,
  count(CASE WHEN r.offence_date <= o.commencement_date + INTERVAL '365 days'
              AND r.conviction_date <= o.commencement_date + INTERVAL '547 days'
             THEN 1 END) AS offences_1y,
  count(CASE WHEN r.offence_date <= o.commencement_date + INTERVAL '730 days'
              AND r.conviction_date <= o.commencement_date + INTERVAL '912 days'
             THEN 1 END) AS offences_2y
FROM ordered o
LEFT JOIN reconvictions r
  ON r.person_id = o.person_id
 AND r.offence_date > o.commencement_date
GROUP BY o.order_id, o.commencement_date, o.previous_commencement
