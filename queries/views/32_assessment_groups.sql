-- Every assessment once for each breakdown of the suitability measure.
SELECT assessment_id, 'National' AS breakdown, 'All' AS "group" FROM assessments_labelled
UNION ALL SELECT assessment_id, 'Age band', age_band FROM assessments_labelled
UNION ALL SELECT assessment_id, 'Sex', sex_label FROM assessments_labelled
UNION ALL SELECT assessment_id, 'Ethnic group', ethnic_group FROM assessments_labelled
UNION ALL SELECT assessment_id, 'Probation area', area_name FROM assessments_labelled
UNION ALL SELECT assessment_id, 'Mental health problem', mental_health FROM assessments_labelled
