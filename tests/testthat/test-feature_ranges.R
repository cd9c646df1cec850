test_that("feature_ranges() gives an scATAC model's islands as GRanges named by island", {
  skip_if_not_installed("GenomicRanges")
  model <- atac_model()
  all <- feature_ranges(model)
  expect_s4_class(all, "GRanges")
  expect_identical(names(all), model$features)
  # the same coordinates as the names, parsed in pure R
  parts <- do.call(rbind, strsplit(model$features, "-", fixed = TRUE))
  expect_identical(as.character(GenomicRanges::seqnames(all)), parts[, 1])
  expect_equal(GenomicRanges::start(all), as.numeric(parts[, 2]))
  expect_equal(GenomicRanges::end(all), as.numeric(parts[, 3]))
  some <- feature_ranges(model, rev(model$features[1:3]))
  expect_identical(names(some), rev(model$features[1:3]))
})

test_that("feature_ranges() refuses gene models and names that are not islands of the model", {
  expect_error(feature_ranges(small_model()), "scATAC models.*annatac_config")
  expect_error(feature_ranges(atac_model(), c(atac_model()$features[1], "chr99-1-2")), "chr99-1-2.*model\\$features")
  expect_error(feature_ranges(atac_model(), NA_character_), "island names")
})
