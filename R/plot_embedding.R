#' UMAP of scLM cell embeddings
#'
#' Lays out cell embeddings in two dimensions with UMAP (uwot) and draws one point per cell,
#' coloured by a label, a prediction or any per-cell value. Embeddings come from
#' [embed_cells()]: its matrix, or the reduction it added to a Seurat or SingleCellExperiment
#' object. An embedding with two columns is drawn as it is.
#'
#' @param x A cells x dimensions embedding matrix, or a Seurat / SingleCellExperiment object
#'   holding the reduction `reduction`.
#' @param color_by `NULL`, one value per cell (labels, predictions, or numbers such as
#'   `max.prob`), or the name of a `meta.data` / `colData` column of `x`.
#' @param reduction Name of the reduction to use in a Seurat or SingleCellExperiment object.
#' @param n_neighbors,min_dist UMAP settings (see [uwot::umap()]).
#' @param label Write each group's name at the median position of its cells.
#' @param seed Random seed of the layout; the same seed gives the same plot. The session's
#'   random number stream is left as it was.
#' @param num_threads Threads for the nearest-neighbour search.
#' @return A ggplot2 object; its data hold the columns `UMAP1`, `UMAP2` and `color` per cell.
#' @seealso [embed_cells()]
#' @examples
#' pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
#' train <- seq(1, ncol(pbmc$counts), by = 6)
#' model <- finetune(scLMConfig(n_features = 500, dim = 32, max_tokens = 64),
#'                   pbmc$counts[, train], labels = pbmc$cell_type[train],
#'                   epochs = 2, verbose = FALSE)
#' cells <- seq(2, ncol(pbmc$counts), by = 6)
#' emb <- embed_cells(model, pbmc$counts[, cells], verbose = FALSE)
#' plot_embedding(emb, color_by = pbmc$cell_type[cells])
#' @export
plot_embedding <- function(x, color_by = NULL, reduction = "scLM", n_neighbors = 15L, min_dist = 0.3,
                           label = FALSE, seed = 1L, num_threads = default_threads()) {
  embedding <- host_embedding(x, check_string(reduction, "reduction"))
  n <- nrow(embedding)
  if (n < 3L) cli::cli_abort("{.arg x} has {n} cell{?s}; a UMAP needs at least 3.")
  check_flag(label, "label")
  color <- if (is.null(color_by)) NULL else cell_values(color_by, x, n)
  layout <- if (ncol(embedding) == 2L) embedding else {
    n_neighbors <- min(check_count(n_neighbors, 2L, arg = "n_neighbors"), n - 1L)
    with_seed(check_count(seed, arg = "seed"),
              uwot::umap(embedding, n_neighbors = n_neighbors, min_dist = check_number(min_dist, 0, 1, "min_dist"),
                         n_threads = check_threads(num_threads), n_sgd_threads = 0, verbose = FALSE))
  }
  data <- data.frame(UMAP1 = layout[, 1], UMAP2 = layout[, 2], row.names = rownames(embedding))
  data$color <- color
  title <- if (is.character(color_by) && length(color_by) == 1L && n != 1L) color_by else NULL
  plot <- ggplot2::ggplot(data, ggplot2::aes(.data$UMAP1, .data$UMAP2)) +
    ggplot2::labs(x = "UMAP 1", y = "UMAP 2", colour = title) +
    ggplot2::theme_classic()
  point_size <- if (n > 20000L) 0.1 else if (n > 2000L) 0.5 else 1
  if (is.null(color)) return(plot + ggplot2::geom_point(size = point_size))
  plot <- plot + ggplot2::geom_point(ggplot2::aes(colour = .data$color), size = point_size)
  if (is.numeric(color)) return(plot + ggplot2::scale_colour_viridis_c())
  plot <- plot + ggplot2::guides(colour = ggplot2::guide_legend(override.aes = list(size = 3)))
  if (!label) return(plot)
  centres <- stats::aggregate(cbind(UMAP1, UMAP2) ~ color, data, stats::median)
  # Room at the sides so that names of groups at the edge are not cut off.
  plot + ggplot2::geom_text(data = centres, ggplot2::aes(label = .data$color), size = 3.5, fontface = "bold") +
    ggplot2::scale_x_continuous(expand = ggplot2::expansion(mult = 0.15))
}
