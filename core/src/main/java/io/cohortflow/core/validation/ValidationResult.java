package io.cohortflow.core.validation;

import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.Problem;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Adobe's validation answer ({@code valid}, {@code message}, {@code supported_products}, {@code
 * validator_version}, {@code supported_features}) plus structured errors and warnings.
 *
 * @param unsupportedProducts the evaluation modes that cannot run the definition, each with why
 * @param evaluation how the engine will evaluate it: {@code incremental} (constant cost per event)
 *     or {@code history} (over the user's bounded history, for sequences and visits)
 * @param definition the parsed definition (its canonical form is {@code DefinitionWriter.write}),
 *     when valid
 */
public record ValidationResult(
        boolean valid,
        String message,
        List<String> supportedProducts,
        List<ProductReason> unsupportedProducts,
        String validatorVersion,
        List<String> supportedFeatures,
        List<Problem> errors,
        List<Problem> warnings,
        @Nullable String evaluation,
        @Nullable Definition definition) {

    public static final String VALIDATOR_VERSION = "1.0.0";

    /** The evaluation modes. */
    public static final List<String> PRODUCTS = List.of("streaming", "batch", "sync");

    public record ProductReason(String product, String reason) {}
}
