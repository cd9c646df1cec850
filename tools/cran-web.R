# R CMD check --as-cran reads CRAN's web/packages/packages.rds (to flag orphaned dependencies),
# which this machine's CRAN mirror does not serve. This writes a stand-in from the mirror's
# PACKAGES index, with no maintainer marked ORPHANED; `make check` points R_CRAN_WEB at it.
#   Rscript tools/cran-web.R <output folder>
out <- commandArgs(trailingOnly = TRUE)[1]
db <- as.data.frame(utils::available.packages(repos = "https://cloud.r-project.org"), stringsAsFactors = FALSE)
db$Maintainer <- ""
dir.create(file.path(out, "web", "packages"), recursive = TRUE, showWarnings = FALSE)
saveRDS(db, file.path(out, "web", "packages", "packages.rds"))
