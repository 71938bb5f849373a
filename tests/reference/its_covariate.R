# Reference for its_fit(covariates=[...]): a known shock (here the COVID-19 months) as
# a level shift of its own, an extra 0/1 column in the segmented regression.
#
# Run from the repository root (after its_negbin_nw.R, which writes the data):
#   Rscript tests/reference/its_covariate.R > tests/reference/its_covariate.out
#
# Data: tests/reference/its_negbin_nw.csv (72 months, intervention from month 37,
# covid = 1 from month 40 to 51). Models, each with the same dummy:
#   quasipoisson: glm(referrals ~ post + month + slope + covid + sin1 + cos1,
#                     family = quasipoisson)
#   negbin:       MASS::glm.nb(same formula), epsilon 1e-12
# slope = post * (month - 37); sin1, cos1 = sin, cos(2 pi calendar_month / 12).
# Also printed: the counterfactual (post and slope set to 0, covid kept as observed)
# at every month, exp(eta) with the Wald interval exp(eta -/+ z se(eta)) from
# predict(se.fit = TRUE) (z = qnorm(0.975); the dispersion enters se.fit for the
# quasi-Poisson fit).

suppressPackageStartupMessages(library(MASS))

data <- read.csv("tests/reference/its_negbin_nw.csv")
data$slope <- data$post * (data$month - 37)
data$sin1 <- sin(2 * pi * data$calendar_month / 12)
data$cos1 <- cos(2 * pi * data$calendar_month / 12)
f <- referrals ~ post + month + slope + covid + sin1 + cos1

cat(R.version.string, "; MASS ", format(packageVersion("MASS")), "\n\n", sep = "")
fits <- list(
  quasipoisson = glm(f, family = quasipoisson, data = data),
  negbin = glm.nb(f, data = data, control = glm.control(epsilon = 1e-12, maxit = 100))
)
for (name in names(fits)) {
  cat("==", name, "\n")
  print(summary(fits[[name]]))
}

names_py <- c("intercept", "level_change", "trend", "slope_change", "covid", "sin1", "cos1")
coefs <- list()
cfs <- list()
z <- qnorm(0.975)
cf_data <- data
cf_data$post <- 0
cf_data$slope <- 0
for (name in names(fits)) {
  fit <- fits[[name]]
  cf <- summary(fit)$coefficients
  coefs[[name]] <- data.frame(
    family = name, term = names_py, coef = cf[, 1], se = cf[, 2], statistic = cf[, 3],
    p = cf[, 4], theta = if (is.null(fit$theta)) NA else fit$theta)
  pr <- predict(fit, newdata = cf_data, type = "link", se.fit = TRUE)
  cfs[[name]] <- data.frame(
    family = name, month = data$month, counterfactual = exp(pr$fit),
    ci_low = exp(pr$fit - z * pr$se.fit), ci_high = exp(pr$fit + z * pr$se.fit))
}
cat("\nBEGIN TABLE\n")
write.csv(format(do.call(rbind, coefs), digits = 15), stdout(), row.names = FALSE, quote = FALSE)
cat("END TABLE\n")
cat("\nBEGIN COUNTERFACTUAL\n")
write.csv(format(do.call(rbind, cfs), digits = 15), stdout(), row.names = FALSE, quote = FALSE)
cat("END COUNTERFACTUAL\n")
