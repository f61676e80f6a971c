-- Measure 4. Retention at 12 weeks. Cohort: Orders commenced in the 12
-- months ending one quarter before the period end. Retained: still running,
-- or terminated on or after day 84, or completed / ended early for good
-- progress. Orders ended by death before day 84 leave the cohort.
SELECT
  g.breakdown,
  g."group",
  sum(CASE
        WHEN o.termination_date IS NULL
          OR o.termination_date >= o.commencement_date + INTERVAL '84 days'
          OR o.termination_reason IN ('completed', 'early_good_progress')
        THEN 1 ELSE 0 END) AS numerator,
  count(*) AS denominator
FROM orders_labelled o
JOIN order_groups g USING (order_id)
WHERE o.commencement_date BETWEEN $lagged_start AND $lagged_end
  AND NOT (COALESCE(o.termination_reason, '') = 'died'
           AND o.termination_date < o.commencement_date + INTERVAL '84 days')
GROUP BY g.breakdown, g."group"
ORDER BY 1, 2
