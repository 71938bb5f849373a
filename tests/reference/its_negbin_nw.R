# Reference for its_fit(family="negbin", newey_west=True): a segmented negative binomial
# (NB2) regression fitted by MASS::glm.nb, with Newey-West standard errors from
# sandwich::NeweyWest.
#
# Run from the repository root:
#   Rscript tests/reference/its_negbin_nw.R > tests/reference/its_negbin_nw.out
#
# The script first writes tests/reference/its_negbin_nw.csv: 72 simulated months
# (January 2017 to December 2022) of overdispersed counts, with an intervention from
# month 37 (January 2020) and a known shock (covid = 1 from April 2020 to March 2021).
# The counts are negative binomial with size 6 around a seasonal trend, so
# Var = mu + mu^2 / 6 (about 11 times the Poisson variance at mu = 60).
#
# Model (its_fit with slope_change=True, harmonics=1, season="calendar_month"):
#   log E[referrals] = b0 + b1 post + b2 month + b3 post (month - 37)
#                      + g1 sin(2 pi calendar_month / 12) + d1 cos(2 pi calendar_month / 12)
# theta is estimated by maximum likelihood (glm.nb, alternating with IRLS); the
# convergence tolerance is tightened (epsilon 1e-12) so that theta and the
# coefficients are the maximum-likelihood values to many digits.
#
# Newey-West: NeweyWest(fit, lag = L, prewhite = FALSE) with sandwich's defaults
# otherwise (adjust = FALSE: no n / (n - k) small-sample factor). For a glm.nb fit the
# bread is the expected information X'WX (summary's cov.unscaled) and the scores are
# x_t * working residual * working weight = x_t (y_t - mu_t) mu_t / V(mu_t).
# L = 3 is floor(4 (72/100)^(2/9)), its_fit's default; L = 6 is also reported.

suppressPackageStartupMessages({
  library(MASS)
  library(sandwich)
})

set.seed(20200101)
n <- 72
month <- 1:n
calendar_month <- (month - 1) %% 12 + 1
post <- as.integer(month >= 37)
covid <- as.integer(month >= 40 & month <= 51)
mu <- exp(log(60) + 0.004 * month - 0.15 * post - 0.01 * post * (month - 37)
          - 0.30 * covid + 0.10 * sin(2 * pi * calendar_month / 12)
          + 0.05 * cos(2 * pi * calendar_month / 12))
referrals <- rnbinom(n, size = 6, mu = mu)
data <- data.frame(month = month, calendar_month = calendar_month, post = post,
                   covid = covid, referrals = referrals)
write.csv(data, "tests/reference/its_negbin_nw.csv", row.names = FALSE, quote = FALSE)

data$slope <- data$post * (data$month - 37)
data$sin1 <- sin(2 * pi * data$calendar_month / 12)
data$cos1 <- cos(2 * pi * data$calendar_month / 12)
fit <- glm.nb(referrals ~ post + month + slope + sin1 + cos1, data = data,
              control = glm.control(epsilon = 1e-12, maxit = 100))

cat(R.version.string, "; MASS ", format(packageVersion("MASS")),
    "; sandwich ", format(packageVersion("sandwich")), "\n\n", sep = "")
print(summary(fit))

terms <- c("(Intercept)", "post", "month", "slope", "sin1", "cos1")
names_py <- c("intercept", "level_change", "trend", "slope_change", "sin1", "cos1")
est <- coef(fit)[terms]
se_model <- sqrt(diag(vcov(fit)))[terms]
rows <- list()
for (lag in c(3, 6)) {
  v <- NeweyWest(fit, lag = lag, prewhite = FALSE)
  se <- sqrt(diag(v))[terms]
  z <- est / se
  rows[[length(rows) + 1]] <- data.frame(
    lag = lag, term = names_py, coef = est, se_model = se_model, se_nw = se,
    z_nw = z, p_nw = 2 * pnorm(-abs(z)))
}
tab <- do.call(rbind, rows)

cat("\nBEGIN VALUES\n")
cat(sprintf("theta,%.15g\n", fit$theta))
cat(sprintf("theta_se,%.15g\n", fit$SE.theta))
cat(sprintf("loglik,%.15g\n", as.numeric(logLik(fit))))
cat(sprintf("n,%d\n", nrow(data)))
cat("END VALUES\n")
cat("\nBEGIN TABLE\n")
write.csv(format(tab, digits = 15), stdout(), row.names = FALSE, quote = FALSE)
cat("END TABLE\n")
