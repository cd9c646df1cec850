# Argument checks shared by the exported verbs. Each names the argument and the fix.

check_count <- function(x, min = 0L, max = .Machine$integer.max, arg = rlang_arg(x), call = parent.frame()) {
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || x != round(x) || x < min || x > max) {
    range <- if (max < .Machine$integer.max) paste0("between ", min, " and ", max) else paste0(min, " or more")
    cli::cli_abort("{.arg {arg}} must be a whole number {range}, not {.val {format(x)}}.", call = call)
  }
  as.integer(x)
}

# `several`: one or more numbers (one per model of an ensemble, recycled).
check_number <- function(x, min, max, arg, call = parent.frame(), several = FALSE) {
  if (!is.numeric(x) || length(x) < 1L || (!several && length(x) != 1L) || !all(is.finite(x)) || any(x < min) || any(x > max)) {
    what <- if (several) "one or more numbers" else "a number"
    cli::cli_abort("{.arg {arg}} must be {what} between {min} and {max}, not {.val {format(x)}}.", call = call)
  }
  x
}

check_flag <- function(x, arg, call = parent.frame()) {
  if (!is.logical(x) || length(x) != 1L || is.na(x)) {
    cli::cli_abort("{.arg {arg}} must be {.code TRUE} or {.code FALSE}.", call = call)
  }
  x
}

check_string <- function(x, arg, call = parent.frame()) {
  if (!is.character(x) || length(x) != 1L || is.na(x) || !nzchar(x)) {
    cli::cli_abort("{.arg {arg}} must be a single non-empty string.", call = call)
  }
  x
}

check_feature_names <- function(features, arg, call = parent.frame()) {
  if (is.null(features)) {
    cli::cli_abort(c("{.arg {arg}} has no feature names.",
                     "i" = "Set gene names as rownames, e.g. {.code rownames(x) <- genes}."), call = call)
  }
  features <- as.character(features)
  bad <- is.na(features) | !nzchar(features)
  if (any(bad)) {
    cli::cli_abort("{.arg {arg}} has {sum(bad)} empty or NA feature name{?s} (row{?s} {head(which(bad), 5)}).",
                   call = call)
  }
  dup <- unique(features[duplicated(features)])
  if (length(dup)) {
    cli::cli_abort(c("{.arg {arg}} has {length(dup)} duplicated feature name{?s}: {.val {head(dup, 5)}}.",
                     "i" = "Make them unique, e.g. {.code rownames(x) <- make.unique(rownames(x))}."),
                   call = call)
  }
  features
}

check_threads <- function(num_threads, call = parent.frame()) {
  cores <- default_threads()
  n <- check_count(num_threads, 1L, arg = "num_threads", call = call)
  if (n > cores) {
    cli::cli_abort(c("{.arg num_threads} ({n}) is more than the {cores} core{?s} of this machine.",
                     "i" = "Use {.code num_threads = {cores}} or fewer."), call = call)
  }
  n
}

check_device <- function(device, call = parent.frame()) {
  device <- check_string(device, "device", call = call)
  if (!grepl("^(auto|cpu|cuda(:[0-9]+)?)$", device)) {
    cli::cli_abort("{.arg device} must be {.val auto}, {.val cpu} or {.val cuda}, not {.val {device}}.", call = call)
  }
  if (startsWith(device, "cuda") && !engine_backend_info()$cuda_available) {
    cli::cli_abort(c("{.arg device} is {.val {device}} but no CUDA device is available to LibTorch.",
                     "i" = "Use {.code device = \"cpu\"} or {.code \"auto\"}, or install scLM against a CUDA LibTorch (LIBTORCH_HOME)."),
                   call = call)
  }
  device
}

# "fp32", or "bf16" (mixed precision; see finetune()).
check_precision <- function(precision, call = parent.frame()) {
  check_choice(precision, c("fp32", "bf16"), "precision", call = call)
}

# The device "auto" stands for on this machine.
resolved_device <- function(device) {
  if (device == "auto") if (engine_backend_info()$cuda_available) "cuda" else "cpu" else device
}

default_threads <- function() {
  n <- parallel::detectCores(logical = TRUE)
  if (is.na(n) || n < 1L) 1L else as.integer(n)
}

# The argument name as written by the caller of a check_*() function.
rlang_arg <- function(x) deparse(substitute(x, parent.frame()))

# One of `choices` (the first when x is the whole default vector), as match.arg but naming the argument.
check_choice <- function(x, choices, arg, call = parent.frame()) {
  if (identical(x, choices)) return(choices[[1]])
  if (!is.character(x) || length(x) != 1L || !x %in% choices) {
    cli::cli_abort("{.arg {arg}} must be one of {.or {.val {choices}}}, not {.val {format(x)}}.", call = call)
  }
  x
}

# The label of cells called unknown: a single string or NA.
check_unknown <- function(unknown, call = parent.frame()) {
  if (length(unknown) != 1L || !(is.character(unknown) || is.na(unknown))) {
    cli::cli_abort("{.arg unknown} must be a single string or {.code NA}.", call = call)
  }
  unknown
}

# Errors unless `dir`, the folder of the user's `arg`, exists and can be written to.
check_writable_folder <- function(dir, arg, call = parent.frame()) {
  if (!dir.exists(dir)) cli::cli_abort("{.arg {arg}}: folder {.path {dir}} does not exist.", call = call)
  if (file.access(dir, 2L) != 0L) {
    cli::cli_abort(c("{.arg {arg}}: folder {.path {dir}} is not writable.", "i" = "Choose a folder you can write to."),
                   call = call)
  }
  invisible(dir)
}
