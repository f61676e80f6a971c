-- One row per Order with the labels the publication uses. Groupings come
-- from the reference lists, so a statistician can change them there.
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
  CASE CAST(o.order_type AS VARCHAR) WHEN 'low_intensity' THEN 'Low intensity' ELSE 'Standard' END AS order_type,
  o.sentence_date,
  o.commencement_date,
  o.termination_date,
  CAST(o.termination_reason AS VARCHAR) AS termination_reason,
  o.age,
  COALESCE(b.age_band, 'Not known') AS age_band,
  COALESCE(s.sex_label, 'Not known') AS sex_label,
  COALESCE(e.ethnic_group, 'Not stated') AS ethnic_group,
  CASE CAST(o.mental_health AS VARCHAR) WHEN 'Y' THEN 'Yes' WHEN 'N' THEN 'No' ELSE 'Not known' END AS mental_health,
  CASE CAST(o.primary_drug AS VARCHAR)
    WHEN 'heroin' THEN 'Heroin' WHEN 'crack' THEN 'Crack cocaine' WHEN 'cocaine' THEN 'Cocaine powder'
    WHEN 'cannabis' THEN 'Cannabis' WHEN 'amphetamine' THEN 'Amphetamine' ELSE 'Other'
  END AS primary_drug,
  CASE CAST(o.accommodation AS VARCHAR)
    WHEN 'settled' THEN 'Settled' WHEN 'unsettled' THEN 'Unsettled' WHEN 'nfa' THEN 'No fixed abode' ELSE 'Not known'
  END AS accommodation,
  CASE CAST(o.motivation_group AS VARCHAR) WHEN 'Y' THEN 'Yes' ELSE 'No' END AS motivation_group,
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
