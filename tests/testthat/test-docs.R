# Every help page renders whole: an unescaped % starts an Rd comment that silently cuts the
# rest of the line, and markdown left unconverted shows as literal `code` and [fn()] links.
rd_pages <- function() tools::Rd_db("scLM")

# Comments inside a page's content (roxygen's header comment sits at the top level).
inner_comments <- function(rd) {
  walk <- function(x) {
    if (identical(attr(x, "Rd_tag"), "COMMENT")) return(as.character(x))
    if (is.list(x)) unlist(lapply(x, walk)) else character(0)
  }
  unlist(lapply(Filter(function(x) !identical(attr(x, "Rd_tag"), "COMMENT"), rd), walk))
}

test_that("no help page loses text to an unescaped %", {
  pages <- rd_pages()
  expect_gt(length(pages), 20)
  cut <- Filter(length, lapply(pages, inner_comments))
  expect_identical(names(cut), character(0), info = paste(names(cut), unlist(cut), collapse = "\n"))
})

test_that("help pages show no raw markdown", {
  text <- vapply(rd_pages(), function(rd) paste(utils::capture.output(tools::Rd2txt(rd)), collapse = "\n"),
                 character(1))
  raw <- grepl("`", text, fixed = TRUE) | grepl("\\[[A-Za-z0-9_.:]+\\(\\)\\]", text)
  expect_identical(names(text)[raw], character(0))
})

test_that("the checks see the damage they look for", {
  damaged <- tools::parse_Rd(textConnection(c("\\name{x}\\title{x}", "\\description{", "about 5% of cells flagged",
                                              "see [f()] and `g`", "}")))
  expect_length(inner_comments(damaged), 1)
  text <- paste(utils::capture.output(tools::Rd2txt(damaged)), collapse = "")
  expect_no_match(text, "flagged")
  expect_match(text, "[f()]", fixed = TRUE)
})
