library(testthat)
library(scLM)

test_check("scLM")
