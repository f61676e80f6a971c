-- One row per Order with the labels the publication uses. Words and
-- groupings come from the reference lists, so a statistician can change
-- them there. Every run first checks that each list of words has a row
-- for every code the contract allows, and no other (a list that does not
-- stops the run, exit 8), so these joins never leave a code without its
-- words. An empty field (no accommodation recorded) is `Not known`. The
-- measures' definitions use the codes (termination_reason stays a code
-- here), so changing a word never changes a figure.
--
-- order_number is the number an order_id carries: its first run of digits
-- without leading zeros (`O10` is 10, `DT0009` is 9), NULL for an id with
-- no digit. It orders Orders the way a person reads their ids, O9 before
-- O10, where text would put O10 first. The reconviction queries pick a
-- person's index Order, among several commenced on the same day, by
--   length(order_number) NULLS LAST, order_number, order_id
-- that is by that number, ids without one last, then by the id as text
-- (`O7` and `O007`, or `A7` and `B7`, carry the same number). Comparing
-- the digits' length, then the digits, compares the numbers without
-- converting them, so however many digits an id has it cannot overflow.
SELECT
  o.order_id,
  CASE WHEN o.order_id ~ '[0-9]'
    THEN regexp_replace(o.order_id, '(?s)^[^0-9]*0*([0-9]+).*$', '\1')
  END AS order_number,
  o.person_id,
  o.area_code,
  a.name AS area_name,
  t.label AS order_type,
  o.sentence_date,
  o.commencement_date,
  -- The commencement of the same person's Order before this one (by
  -- commencement date, then order_id); NULL for their first. A person's
  -- first Order in a period is the one commenced in it whose previous
  -- Order commenced before it: found so with a filter, where ranking each
  -- person's Orders again for every period would repeat the same sort.
  lag(o.commencement_date) OVER (
    PARTITION BY o.person_id ORDER BY o.commencement_date, o.order_id
  ) AS previous_commencement_date,
  o.termination_date,
  CAST(o.termination_reason AS VARCHAR) AS termination_reason,
  o.age,
  COALESCE(b.age_band, 'Not known') AS age_band,
  COALESCE(s.sex_label, 'Not known') AS sex_label,
  COALESCE(e.ethnic_group, 'Not stated') AS ethnic_group,
  COALESCE(mh.label, 'Not known') AS mental_health,
  d.label AS primary_drug,
  COALESCE(ac.label, 'Not known') AS accommodation,
  mg.label AS motivation_group,
  CASE
    WHEN o.termination_reason IN ('completed', 'early_good_progress') THEN 'Completed or ended early for good progress'
    WHEN o.termination_reason IN ('revoked_breach', 'revoked_new_offence', 'revoked_other') THEN 'Revoked'
    ELSE 'Still running or other'
  END AS how_ended
FROM orders o
LEFT JOIN age_bands b ON o.age BETWEEN b.min_age AND b.max_age
LEFT JOIN sex s ON CAST(o.sex AS VARCHAR) = s.code
LEFT JOIN ethnicity e ON CAST(o.ethnicity AS VARCHAR) = e.code
LEFT JOIN probation_areas a ON CAST(o.area_code AS VARCHAR) = a.code
LEFT JOIN order_types t ON CAST(o.order_type AS VARCHAR) = t.code
LEFT JOIN yes_no mh ON CAST(o.mental_health AS VARCHAR) = mh.code
LEFT JOIN primary_drugs d ON CAST(o.primary_drug AS VARCHAR) = d.code
LEFT JOIN accommodation ac ON CAST(o.accommodation AS VARCHAR) = ac.code
LEFT JOIN yes_no mg ON CAST(o.motivation_group AS VARCHAR) = mg.code
