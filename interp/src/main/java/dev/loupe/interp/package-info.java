/** Loupe interp: interventions, steering, patching, attribution, analyses */
package dev.loupe.interp;
