/** Loupe activations: collection, storage, out-of-core shuffle */
package dev.loupe.activations;
