package io.cohortflow.core;

import static io.cohortflow.core.Fixture.DAY;
import static io.cohortflow.core.Fixture.HOUR;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.ev;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.validation.DefinitionValidator;
import io.cohortflow.core.validation.Guardrails;
import io.cohortflow.core.validation.ValidationResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The examples in docs/definition-language.md parse, validate, and mean what the doc says. */
class DocumentedExamplesTest {

    static List<String> examples() throws IOException {
        String doc = Files.readString(Path.of("../docs/definition-language.md"));
        Matcher m = Pattern.compile("```json\\n(.*?)```", Pattern.DOTALL).matcher(doc);
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void every_documented_definition_is_valid() throws IOException {
        DefinitionValidator v = new DefinitionValidator(Guardrails.DEFAULT, EngineConfig.DEFAULT);
        List<String> all = examples();
        assertThat(all).hasSizeGreaterThanOrEqualTo(8);
        for (String ex : all) {
            String def = ex.contains("segment-def") ? ex : Fixture.visitors(ex);
            ValidationResult r =
                    v.validate(Fixture.json(def), DefinitionValidator.Target.standalone());
            assertThat(r.errors()).as(ex).isEmpty();
        }
    }

    private static boolean member(String def, Event... events) {
        Fixture f = new Fixture();
        f.define("x", def);
        f.send(events);
        return f.member("x");
    }

    private static String example(String containing) throws IOException {
        return examples().stream().filter(e -> e.contains(containing)).findFirst().orElseThrow();
    }

    @Test
    void sport_or_finance_readers() throws IOException {
        String def = example("finance");
        assertThat(
                        member(
                                def,
                                ev("Pageview", T0, "category", "finance"),
                                ev("Pageview", T0 + HOUR, "category", "finance")))
                .isTrue();
        assertThat(
                        member(
                                def,
                                ev("Pageview", T0, "category", "finance"),
                                ev("Pageview", T0 + HOUR, "category", "sport")))
                .isFalse();
        assertThat(
                        member(
                                def,
                                ev("Pageview", T0, "category", "sport"),
                                ev("Pageview", T0 + 8 * DAY, "category", "sport")))
                .isFalse();
    }

    @Test
    void engaged_but_not_converted() throws IOException {
        String def = example("\"at_least\": 5");
        Event[] views = new Event[5];
        for (int i = 0; i < 5; i++) {
            views[i] = ev("Pageview", T0 + i * HOUR);
        }
        assertThat(member(def, views)).isTrue();
        Fixture f = new Fixture();
        f.define("x", def);
        f.send(ev("Purchase", T0 - 10 * DAY));
        f.send(views);
        assertThat(f.member("x")).isFalse();
    }

    @Test
    void big_spenders() throws IOException {
        String def = example("metrics/revenue");
        assertThat(
                        member(
                                def,
                                ev("Purchase", T0, "revenue", 300),
                                ev("Purchase", T0 + DAY, "revenue", 250)))
                .isTrue();
        assertThat(
                        member(
                                def,
                                ev("Purchase", T0, "revenue", 300),
                                ev("Purchase", T0 + 100 * DAY, "revenue", 250)))
                .isFalse();
    }

    @Test
    void premium_mobile_ai_readers() throws IOException {
        String def = example("premium");
        assertThat(
                        member(
                                def,
                                ev(
                                        "Pageview",
                                        T0,
                                        "plan",
                                        "premium",
                                        "device",
                                        Map.of("type", "mobile"),
                                        "tags",
                                        List.of("ml", "ai"))))
                .isTrue();
        assertThat(
                        member(
                                def,
                                ev(
                                        "Pageview",
                                        T0,
                                        "plan",
                                        "premium",
                                        "device",
                                        Map.of("type", "desktop"),
                                        "tags",
                                        List.of("ai"))))
                .isFalse();
    }

    @Test
    void broad_readers() throws IOException {
        String def = example("total-distinct");
        assertThat(
                        member(
                                def,
                                ev("Pageview", T0, "category", "a"),
                                ev("Pageview", T0 + 1, "category", "b"),
                                ev("Pageview", T0 + 2, "category", "c")))
                .isTrue();
        assertThat(
                        member(
                                def,
                                ev("Pageview", T0, "category", "a"),
                                ev("Pageview", T0 + 1, "category", "b"),
                                ev("Pageview", T0 + 2, "category", "b")))
                .isFalse();
    }

    @Test
    void cart_abandoners() throws IOException {
        String def = example("AddToCart");
        assertThat(
                        member(
                                def,
                                ev("AddToCart", T0).withSession("v1"),
                                ev("Pageview", T0 + 1).withSession("v1")))
                .isTrue();
        assertThat(
                        member(
                                def,
                                ev("AddToCart", T0).withSession("v1"),
                                ev("Purchase", T0 + 1).withSession("v1"),
                                ev("Pageview", T0 + 2).withSession("v1")))
                .isFalse();
    }
}
