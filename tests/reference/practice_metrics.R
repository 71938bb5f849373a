# Reference output for tests/test_metrics_multiagency.py, tests/test_metrics_coordination.py
# and tests/test_metrics_practice.py (run: Rscript practice_metrics.R > practice_metrics.out).
# The same hand-made data are built in the tests.
library(sandwich)

# --- Staff survey scale (items 1-4): score = mean of answered items, at least 3 of 4.
# Baseline: respondents s01-s12; review: s01-s10 (linked) and s13-s15. s12's baseline
# answers only 2 items and is not scored.
score <- function(m) { k <- rowSums(!is.na(m)); s <- rowMeans(m, na.rm = TRUE); s[k < 3] <- NA; s }
base <- rbind(
  s01 = c(2, 3, 2, 3), s02 = c(3, 3, 4, 2), s03 = c(1, 2, 2, 2), s04 = c(4, 4, 3, 4),
  s05 = c(2, 2, 3, NA), s06 = c(3, 2, 2, 3), s07 = c(2, 3, 3, 3), s08 = c(4, 3, 3, 2),
  s09 = c(1, 1, 2, 2), s10 = c(3, 4, 3, 3), s11 = c(2, 2, 2, 1), s12 = c(5, NA, NA, 5))
rev <- rbind(
  s01 = c(3, 3, 3, 3), s02 = c(3, 4, 4, 3), s03 = c(2, 2, 3, 2), s04 = c(4, 5, 4, 4),
  s05 = c(2, 3, 3, 3), s06 = c(3, 2, 3, 3), s07 = c(3, 3, 4, 3), s08 = c(4, 4, 3, 3),
  s09 = c(2, 1, 2, 3), s10 = c(3, 4, 4, 4), s13 = c(4, 4, 3, 3), s14 = c(2, 3, 3, 2),
  s15 = c(3, 3, NA, 4))
b <- score(base); r <- score(rev)
b <- b[!is.na(b)]; r <- r[!is.na(r)]
linked <- intersect(names(b), names(r))
tp <- t.test(r[linked], b[linked], paired = TRUE)
tw <- t.test(r, b, var.equal = FALSE)
cat(sprintf("paired_n %d\n", length(linked)))
cat(sprintf("paired_estimate %.10f\npaired_ci_low %.10f\npaired_ci_high %.10f\npaired_p %.10g\n",
            tp$estimate, tp$conf.int[1], tp$conf.int[2], tp$p.value))
cat(sprintf("welch_n %d\n", length(b) + length(r)))
cat(sprintf("welch_estimate %.10f\nwelch_ci_low %.10f\nwelch_ci_high %.10f\nwelch_p %.10g\nwelch_df %.10f\n",
            mean(r) - mean(b), tw$conf.int[1], tw$conf.int[2], tw$p.value, tw$parameter))

# --- Directorates per meeting: Poisson regression on time (years since the first
# meeting, 365.25-day years) and meeting kind, HC1 sandwich errors.
dates <- as.Date(c("2021-03-10", "2021-04-14", "2021-04-30", "2021-05-12", "2021-06-09",
                   "2021-07-14", "2021-08-06", "2021-08-11", "2021-09-08", "2021-10-13",
                   "2021-11-10", "2021-12-01", "2021-12-08", "2022-01-12", "2022-02-09",
                   "2022-03-09"))
cc <- c(0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0)
y <- c(2, 2, 1, 3, 1, 4, 3, 2, 4, 3, 4, 2, 3, 5, 3, 4)
years <- as.numeric(dates - dates[1]) / 365.25
fit <- glm(y ~ years + cc, family = poisson)
se <- sqrt(diag(vcovHC(fit, type = "HC1")))
z <- coef(fit) / se
cat(sprintf("trend_all_rr %.10f\ntrend_all_ci_low %.10f\ntrend_all_ci_high %.10f\ntrend_all_p %.10g\n",
            exp(coef(fit)[2]), exp(coef(fit)[2] - qnorm(0.975) * se[2]),
            exp(coef(fit)[2] + qnorm(0.975) * se[2]), 2 * pnorm(-abs(z[2]))))
s <- cc == 0
fit_s <- glm(y[s] ~ years[s], family = poisson)
se_s <- sqrt(diag(vcovHC(fit_s, type = "HC1")))
z_s <- coef(fit_s) / se_s
cat(sprintf("trend_snac_rr %.10f\ntrend_snac_ci_low %.10f\ntrend_snac_ci_high %.10f\ntrend_snac_p %.10g\n",
            exp(coef(fit_s)[2]), exp(coef(fit_s)[2] - qnorm(0.975) * se_s[2]),
            exp(coef(fit_s)[2] + qnorm(0.975) * se_s[2]), 2 * pnorm(-abs(z_s[2]))))

# --- Dosage: contacts per family-month, a Poisson rate with log exposure offset and
# robust (sandwich HC1) errors (family-month = 365.25 / 12 days; days from enrolment to
# exit or the cut, both included).
cut <- as.Date("2022-06-30")
enrolled <- as.Date(c("2021-02-10", "2021-05-01", "2021-09-15", "2022-01-04", "2022-03-20",
                      "2021-07-07"))
exit <- as.Date(c("2021-12-31", NA, "2022-02-28", NA, NA, "2022-07-15"))
contacts <- c(14, 30, 3, 9, 1, 22)
end <- pmin(ifelse(is.na(exit), cut, exit), cut)
days <- as.numeric(as.Date(end, origin = "1970-01-01") - enrolled) + 1
months <- days / (365.25 / 12)
pf <- glm(contacts ~ 1 + offset(log(months)), family = poisson)
se_d <- sqrt(vcovHC(pf, type = "HC1")[1, 1])
mu <- fitted(pf)
phi <- sum((contacts - mu)^2 / mu) / df.residual(pf)
cat(sprintf("dosage_rate %.10f\ndosage_ci_low %.10f\ndosage_ci_high %.10f\ndosage_se %.10f\ndosage_dispersion %.10f\n",
            exp(coef(pf)), exp(coef(pf) - qnorm(0.975) * se_d),
            exp(coef(pf) + qnorm(0.975) * se_d), se_d, phi))
