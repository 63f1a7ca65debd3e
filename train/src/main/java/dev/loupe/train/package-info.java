/** Loupe train: training transformers and toy models from scratch */
package dev.loupe.train;
