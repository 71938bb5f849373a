# Wilson score intervals of the feasibility shares of the shipped sample, computed
# by R's prop.test without continuity correction (its interval is Wilson's score
# interval; Newcombe 1998, method 3). The counts are those of the participant flow
# of the ingested sample (data/sample/truth.json "realised" -> "funnel" for the
# stages up to enrolment). tests/test_metrics_feasibility.py reads the output:
#   Rscript tests/reference/feasibility.R > tests/reference/feasibility.out
counts <- list(
  eligibility_assessed = c(226, 261),
  eligible = c(168, 226),
  offered = c(148, 168),
  enrolled = c(120, 148),
  baseline_wellbeing = c(111, 120),
  baseline_domains = c(112, 120),
  baseline_either = c(120, 120),
  followup_due = c(77, 111),
  followup_completed = c(54, 77),
  enrolment_rate = c(120, 261),
  conversion_offered_to_enrolled = c(120, 148),
  retention_followup = c(54, 77),
  primary_outcome_completeness = c(52, 77)
)
for (name in names(counts)) {
  k <- counts[[name]][1]
  n <- counts[[name]][2]
  ci <- prop.test(k, n, correct = FALSE)$conf.int
  cat(sprintf("%s %d %d %.12f %.12f %.12f\n", name, k, n, k / n, ci[1], ci[2]))
}
