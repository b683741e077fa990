-- 0014: a digest counts the reports still waiting for triage (status 'new') instead of
-- marking each report once it was counted. The flag told, for the reports of today, which
-- came after the last digest (digests run at fixed hours): a time of day finer than the
-- filing day, which the reports tables never hold otherwise.
ALTER TABLE reports DROP COLUMN announced;
