# Reference values for tests/test_metrics_wellbeing.py (Outcome 3, wellbeing change).
#
# Data: wellbeing_pairs.csv, 56 synthetic parent/carers with SWEMWBS raw sums
# (7-35) at baseline and follow-up; 18 follow-ups missing (more often at low
# baseline), n_children as a baseline characteristic. Raw sums are converted to
# the SWEMWBS Rasch metric score with the published conversion table (as in
# noream_eval/instruments.toml).
#
# Run from this folder:  Rscript wellbeing_change.R > wellbeing_change.out
# (writes wellbeing_mice_completed.csv, the 20 data sets imputed by mice).
suppressPackageStartupMessages({
  library(effectsize)
  library(mice)
})

metric <- c(7.00, 9.51, 11.25, 12.40, 13.33, 14.08, 14.75, 15.32, 15.84, 16.36,
            16.88, 17.43, 17.98, 18.59, 19.25, 19.98, 20.73, 21.54, 22.35, 23.21,
            24.11, 25.03, 26.02, 27.03, 28.13, 29.31, 30.70, 32.55, 35.00)
d <- read.csv("wellbeing_pairs.csv")
d$baseline <- metric[d$baseline_raw - 6]
d$followup <- metric[d$followup_raw - 6]
p <- d[!is.na(d$followup), ]
n <- nrow(p)
diff <- p$followup - p$baseline

out <- function(name, value) cat(sprintf("%s %.12g\n", name, value))
cat("R", R.version$major, R.version$minor, "effectsize", as.character(packageVersion("effectsize")),
    "mice", as.character(packageVersion("mice")), "\n")
out("n_pairs", n)
out("n_with_baseline", nrow(d))

# Baseline mean of everyone with a baseline; one-sample t-test against 23.5.
b <- t.test(d$baseline, mu = 23.5)
out("baseline_mean", b$estimate)
out("baseline_ci_low", b$conf.int[1])
out("baseline_ci_high", b$conf.int[2])
out("baseline_p", b$p.value)

# Paired t-test of follow-up minus baseline.
tt <- t.test(p$followup, p$baseline, paired = TRUE)
out("mean_change", tt$estimate)
out("mean_change_ci_low", tt$conf.int[1])
out("mean_change_ci_high", tt$conf.int[2])
out("t_p", tt$p.value)

# Cohen's d_z with the noncentral-t interval (effectsize, paired = TRUE gives d_z).
dz <- cohens_d(p$followup, p$baseline, paired = TRUE, ci = 0.95)
out("d_z", dz$Cohens_d)
out("d_z_ci_low", dz$CI_low)
out("d_z_ci_high", dz$CI_high)

# Hedges' g_av (Lakens 2013): d_av = mean diff / mean of the two SDs, times
# J = 1 - 3 / (4 * 2n - 9); interval: the d_z noncentrality limits rescaled to
# the average SD (Algina & Keselman 2003), not multiplied by J.
s_av <- (sd(p$baseline) + sd(p$followup)) / 2
j <- 1 - 3 / (4 * (2 * n) - 9)
out("g_av", j * mean(diff) / s_av)
out("g_av_ci_low", dz$CI_low * sd(diff) / s_av)
out("g_av_ci_high", dz$CI_high * sd(diff) / s_av)

# Wilcoxon signed-rank test with the Hodges-Lehmann estimate (ties: normal
# approximation with continuity correction, as wilcox.test chooses), on the changes
# rounded to 1e-9 so that equal changes of converted scores tie exactly.
w <- suppressWarnings(wilcox.test(round(diff, 9), conf.int = TRUE))
out("wilcoxon_v", w$statistic)
out("wilcoxon_p", w$p.value)
out("wilcoxon_estimate", w$estimate)
out("wilcoxon_ci_low", w$conf.int[1])
out("wilcoxon_ci_high", w$conf.int[2])
# wilcox.test's estimate above solves the corrected statistic = 0 (uniroot); the
# Hodges-Lehmann estimate proper is the median of the Walsh averages of the
# non-zero differences, which noream_eval reports.
rd <- round(diff, 9)
nz <- rd[rd != 0]
walsh <- outer(nz, nz, "+") / 2
out("walsh_median", median(walsh[upper.tri(walsh, diag = TRUE)]))

# Jacobson-Truax reliable change: S_diff = SD_baseline(pairs) * sqrt(2) * sqrt(1 - 0.89).
s_diff <- sd(p$baseline) * sqrt(2) * sqrt(1 - 0.89)
rci <- diff / s_diff
out("s_diff", s_diff)
out("reliable_improved", sum(rci > 1.96))
out("reliable_deteriorated", sum(rci < -1.96))
out("meaningful", sum(diff >= 2.87))

# Multiple imputation: follow-up from baseline and n_children, predictive mean
# matching, 20 imputations; the mean change over everyone pooled by Rubin's rules.
imp <- mice(d[, c("baseline", "followup", "n_children")], m = 20, method = "pmm",
            maxit = 10, seed = 20210201, printFlag = FALSE)
fit <- with(imp, lm(I(followup - baseline) ~ 1))
pl <- pool(fit)
s <- summary(pl, conf.int = TRUE)
out("mi_estimate", s$estimate)
out("mi_se", s$std.error)
out("mi_df", s$df)
out("mi_ci_low", s[["2.5 %"]])
out("mi_ci_high", s[["97.5 %"]])
out("mi_p", s$p.value)
out("mi_ubar", pl$pooled$ubar)
out("mi_b", pl$pooled$b)
out("mi_t", pl$pooled$t)
out("mi_fmi", pl$pooled$fmi)
long <- complete(imp, "long")
write.csv(long[, c(".imp", ".id", "baseline", "followup", "n_children")],
          "wellbeing_mice_completed.csv", row.names = FALSE)
