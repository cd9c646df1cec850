#' Loss and accuracy curves of a training run
#'
#' Draws the per-epoch training and validation loss and accuracy from a model's history
#' (`model$history`), with the epoch whose weights were kept marked. For a model from
#' [pretrain()], loss and accuracy are those of the masked-prediction objective.
#'
#' @param model An `scLM_model` from [finetune()], [pretrain()] or [load_model()].
#' @return A ggplot2 object (one panel for loss, one for accuracy); its data hold `epoch`,
#'   `metric`, `split` (`"training"` / `"validation"`) and `value`.
#' @seealso [finetune()]
#' @examples
#' pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
#' train <- seq(1, ncol(pbmc$counts), by = 6)
#' model <- finetune(scLMConfig(n_features = 500, dim = 32, max_tokens = 64),
#'                   pbmc$counts[, train], labels = pbmc$cell_type[train],
#'                   epochs = 3, verbose = FALSE)
#' plot_training(model)
#' @export
plot_training <- function(model) {
  check_model(model)
  h <- model$history
  if (!nrow(h)) cli::cli_abort("{.arg model} has no training history (it was interrupted before its first epoch).")
  data <- data.frame(epoch = rep(h$epoch, 4),
                     metric = factor(rep(c("loss", "loss", "accuracy", "accuracy"), each = nrow(h)), c("loss", "accuracy")),
                     split = rep(c("training", "validation", "training", "validation"), each = nrow(h)),
                     value = c(h$train_loss, h$val_loss, h$train_accuracy, h$val_accuracy))
  data <- data[!is.na(data$value), ]
  ggplot2::ggplot(data, ggplot2::aes(.data$epoch, .data$value, colour = .data$split)) +
    ggplot2::geom_vline(xintercept = model$training$best_epoch, linetype = "dashed", colour = "grey60") +
    ggplot2::geom_line() +
    ggplot2::geom_point(size = 1) +
    ggplot2::facet_wrap(~metric, scales = "free_y") +
    ggplot2::scale_x_continuous(breaks = function(limits) unique(round(pretty(limits)))) +
    ggplot2::labs(x = "epoch", y = NULL, colour = NULL,
                  subtitle = sprintf("%s; dashed: best epoch (%d), whose weights were kept", model$id,
                                     model$training$best_epoch)) +
    ggplot2::theme_bw()
}
