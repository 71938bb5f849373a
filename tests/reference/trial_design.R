# Sample size of a future trial sized from pilot values (tests/test_metrics_promise.py).
# Pilot baseline SD 3.8, pre-post correlation 0.6 (ANCOVA-adjusted SD = 3.8 * sqrt(1 - 0.6^2)),
# standardised effect 0.3 of the unadjusted SD, alpha 0.05 two-sided, power 0.8,
# ICC 0.05 with 30 families per LA, 30% attrition.
library(pwr)
sd_adj <- 3.8 * sqrt(1 - 0.6^2)
r <- pwr.t.test(d = 0.3 * 3.8 / sd_adj, power = 0.8, sig.level = 0.05)
n_ind <- ceiling(r$n)
deff <- 1 + (30 - 1) * 0.05
n_analysed <- ceiling(n_ind * deff)
n_recruit <- ceiling(n_analysed / (1 - 0.3))
cat(sprintf("n_per_arm_unrounded %.10f\n", r$n))
cat(sprintf("n_per_arm_individual %d\n", n_ind))
cat(sprintf("n_per_arm_individual_after_attrition %d\n", ceiling(n_ind / (1 - 0.3))))
cat(sprintf("design_effect %.4f\n", deff))
cat(sprintf("cluster_n_per_arm %d\n", n_recruit))
cat(sprintf("clusters_per_arm %d\n", ceiling(n_recruit / 30)))
