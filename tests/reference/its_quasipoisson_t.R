# Reference for its_fit(family="quasipoisson", inference="t"): R's summary.glm for a
# quasi-Poisson fit reports t statistics with p-values from the t distribution on the
# residual degrees of freedom (the dispersion is estimated); the matching Wald interval
# is coef -/+ qt(1 - alpha/2, df.residual) * se (computed below; R's confint() would
# profile the likelihood instead).
#
# Run from the repository root:
#   Rscript tests/reference/its_quasipoisson_t.R > tests/reference/its_quasipoisson_t.out
#
# Data: tests/data/its_sicily.csv, the Sicily acute coronary events series of Lopez
# Bernal, Cummins & Gasparrini (2017), Int J Epidemiol 46:348-355. Models:
#   model2: aces ~ offset(log(stdpop)) + smokban + time                  (quasipoisson)
#   model4: as model2 + smokban:(time - 37) + sin/cos of month, 2 pairs (quasipoisson)
# The slope change is centred at the first post month (37), as its_fit centres it.

data <- read.csv("tests/data/its_sicily.csv")
data$slope <- data$smokban * (data$time - 37)
for (k in 1:2) {
  data[[paste0("sin", k)]] <- sin(2 * pi * k * data$month / 12)
  data[[paste0("cos", k)]] <- cos(2 * pi * k * data$month / 12)
}

cat(R.version.string, "\n\n", sep = "")
model2 <- glm(aces ~ offset(log(stdpop)) + smokban + time, family = quasipoisson, data = data)
model4 <- glm(aces ~ offset(log(stdpop)) + smokban + time + slope + sin1 + sin2 + cos1 + cos2,
              family = quasipoisson, data = data)
print(summary(model2))
print(summary(model4))

rows <- list()
for (name in c("model2", "model4")) {
  fit <- get(name)
  s <- summary(fit)
  cf <- s$coefficients
  df <- fit$df.residual
  q <- qt(0.975, df)
  rows[[name]] <- data.frame(
    model = name, term = rownames(cf), coef = cf[, 1], se = cf[, 2], t = cf[, 3],
    p = cf[, 4], df = df, ci_low = exp(cf[, 1] - q * cf[, 2]),
    ci_high = exp(cf[, 1] + q * cf[, 2]), dispersion = s$dispersion)
}
tab <- do.call(rbind, rows)
cat("\nBEGIN TABLE\n")
write.csv(format(tab, digits = 15), stdout(), row.names = FALSE, quote = FALSE)
cat("END TABLE\n")
