# The settings lists the compiled engine reads (model, subvectors, tokenizer, train, distributed,
# pretrain, run) must name every field of the engine's settings struct, and nothing else: the
# engine declares them once and describes them in sclm_config_schema() (a data.frame per kind:
# name, type, default, min, max, choices).

# `values` with every field of `kind` that is absent or NULL set to the engine's default (a nested
# struct's default is NULL: none); fields given stay as they are, unknown names included (the
# engine refuses them, naming the field).
core_settings <- function(kind, values) {
  schema <- engine_schema()[[kind]]
  for (k in seq_len(nrow(schema))) {
    name <- schema$name[[k]]
    if (is.null(values[[name]])) {
      values[name] <- list(schema$default[[k]])
    } else if (schema$type[[k]] %in% names(engine_schema())) {
      values[[name]] <- core_settings(schema$type[[k]], values[[name]])
    }
  }
  values
}

engine_schema <- local({
  schema <- NULL
  function() {
    if (is.null(schema)) schema <<- sclm_config_schema()
    schema
  }
})
