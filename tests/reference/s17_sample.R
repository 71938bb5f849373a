# Cross-check of noream_eval.metrics.s17 on the shipped sample with R survival.
#
# Inputs: s17_sample_families.csv and s17_sample_episodes.csv, written by
# s17_sample_export.py from the ingested sample. Run from the repository root:
#   Rscript tests/reference/s17_sample.R > tests/reference/s17_sample.Rout
# The escalation times, censoring and episode lengths are derived here from the
# dates, independently of the Python code.
suppressPackageStartupMessages(library(survival))
options(digits = 12, width = 120)
here <- "tests/reference"
cut <- as.Date("2022-06-30")
fam <- read.csv(file.path(here, "s17_sample_families.csv"), stringsAsFactors = FALSE,
                na.strings = "")
fc <- as.Date(fam$first_contact_date)
first <- as.Date(fam$first_s17_date)

# Escalation: the first s17 payment after first contact; censored at the data cut
# only; families paid before first contact are left out.
before <- !is.na(first) & first < fc
esc <- fam[!before, ]
event <- as.integer(!is.na(first[!before]))
time <- as.numeric(ifelse(event == 1, first[!before] - fc[!before], cut - fc[!before]))
esc$time <- time
esc$event <- event
esc$cohort <- factor(esc$cohort, levels = c("noream", "comparison"))
esc$programme <- as.integer(esc$cohort == "noream")
esc$immigration_status <- droplevels(factor(esc$immigration_status,
  levels = c("no_leave", "leave_nrpf_condition", "asylum_pending", "eea",
             "leave_with_recourse", "other", "unknown")))
cat("families analysed", nrow(esc), "excluded (paid before first contact)", sum(before), "\n")

cat("\n== Kaplan-Meier: share escalating by 6 and 12 months (182.625, 365.25 days)\n")
km <- survfit(Surv(time, event) ~ cohort, data = esc)
s <- summary(km, times = c(182.625, 365.25))
print(data.frame(strata = s$strata, time = s$time, n.risk = s$n.risk,
                 share = 1 - s$surv, share_low = 1 - s$upper, share_high = 1 - s$lower))

cat("\n== Log-rank test\n")
lr <- survdiff(Surv(time, event) ~ cohort, data = esc)
print(lr)
cat("chisq", sprintf("%.10f", lr$chisq), "p", sprintf("%.10g",
    pchisq(lr$chisq, 1, lower.tail = FALSE)), "\n")

cat("\n== Cox, unadjusted (Efron ties)\n")
fit0 <- coxph(Surv(time, event) ~ programme, data = esc, ties = "efron")
print(summary(fit0))
cat("HR", sprintf("%.10f", exp(coef(fit0))), "CI", sprintf("%.10f", exp(confint(fit0))),
    "p", sprintf("%.10g", summary(fit0)$coefficients[, "Pr(>|z|)"]), "\n")

cat("\n== Cox adjusted for n_children and immigration_status (Efron ties)\n")
fit1 <- coxph(Surv(time, event) ~ programme + n_children + immigration_status, data = esc,
              ties = "efron")
print(summary(fit1))
cat("HR", sprintf("%.10f", exp(coef(fit1))["programme"]), "CI",
    sprintf("%.10f", exp(confint(fit1))["programme", ]),
    "p", sprintf("%.10g", summary(fit1)$coefficients["programme", "Pr(>|z|)"]),
    "n", fit1$n, "events", fit1$nevent, "\n")

cat("\n== s17 episodes: lengths to the last payment, ongoing censored at the data cut\n")
ep <- read.csv(file.path(here, "s17_sample_episodes.csv"), stringsAsFactors = FALSE,
               na.strings = "")
ep$cohort <- factor(fam$cohort[match(ep$family, fam$family)],
                    levels = c("noream", "comparison"))
start <- as.Date(ep$start_date)
end <- as.Date(ep$end_date)
ep$ended <- as.integer(!is.na(end))
ep$days <- as.numeric(ifelse(is.na(end), cut - start, end - start))
print(survfit(Surv(days, ended) ~ cohort, data = ep))
print(survfit(Surv(days, ended) ~ 1, data = ep))

cat("\n== Mean days on s17 per family supported\n")
per_family <- aggregate(days ~ family + cohort, data = ep, FUN = sum)
print(aggregate(days ~ cohort, data = per_family, FUN = function(x) sprintf("%.10f", mean(x))))
# "all" is every supported family, whatever its cohort (not_enrolled included)
every_family <- aggregate(days ~ family, data = ep, FUN = sum)
cat("all", sprintf("%.10f", mean(every_family$days)), "families", nrow(every_family), "\n")
cat("\nR", R.version.string, "survival", as.character(packageVersion("survival")), "\n")
