# inst/extdata/human_gene_positions.tsv.gz: chromosome and start (GRCh38, 1-based) of human genes
# by symbol, for sctrans_config(gene_order = "chromosome", gene_positions = "human").
# Source: Bioconductor's org.Hs.eg.db (Debian: apt-get install r-bioc-org.hs.eg.db), CHRLOC
# (gene starts from UCSC hg38; a negative value marks the minus strand). One row per symbol: its
# first location on a primary chromosome (1-22, X, Y, MT).
#   Rscript data-raw/human_gene_positions.R
suppressPackageStartupMessages(library(org.Hs.eg.db))
loc <- AnnotationDbi::toTable(org.Hs.egCHRLOC)
sym <- AnnotationDbi::toTable(org.Hs.egSYMBOL)
loc <- loc[loc$Chromosome %in% c(1:22, "X", "Y", "MT"), ]
loc$start <- abs(loc$start_location)
loc <- loc[order(loc$gene_id, loc$start), ]
loc <- loc[!duplicated(loc$gene_id), ]
out <- merge(sym, loc, by = "gene_id")
out <- data.frame(gene = out$symbol, chrom = out$Chromosome, start = as.integer(out$start))
out <- out[!duplicated(out$gene), ]
out <- out[order(match(out$chrom, c(1:22, "X", "Y", "MT")), out$start), ]
path <- "inst/extdata/human_gene_positions.tsv.gz"
con <- gzfile(path, "w")
utils::write.table(out, con, sep = "\t", quote = FALSE, row.names = FALSE)
close(con)
cat(nrow(out), "genes;", file.size(path), "bytes\n")
