import { builtinCatalogue, parseCatalogue, resolveModel } from "@pancode/agents";
import { describe, expect, it } from "vitest";

describe("the built-in model catalogue", () => {
  const catalogue = builtinCatalogue();

  it("ships priced models for anthropic, openai and google, in that preference order, each default among them", () => {
    expect(catalogue.providers.map((p) => p.name)).toEqual(["anthropic", "openai", "google"]);
    for (const provider of catalogue.providers) {
      expect(provider.models.map((m) => m.id)).toContain(provider.defaultModel);
      for (const model of provider.models) {
        expect(model.price.input).toBeGreaterThan(0);
        expect(model.price.output).toBeGreaterThan(model.price.input);
      }
    }
    expect(catalogue.providers.find((p) => p.name === "google")?.keyEnv).toEqual(["GEMINI_API_KEY", "GOOGLE_API_KEY"]);
  });

  it("names the providers it has keys but no models for", () => {
    expect(catalogue.otherProviderKeys.MISTRAL_API_KEY).toBe("mistral");
  });

  it("refuses a catalogue whose default is not one of its models, naming the source", () => {
    const bad = {
      providers: [
        {
          name: "x",
          api: "google",
          keyEnv: ["X_KEY"],
          baseUrlEnv: "X_BASE_URL",
          defaultModel: "nope",
          models: [{ id: "m" }],
        },
      ],
    };
    expect(() => parseCatalogue(bad, "extra.json")).toThrow(
      "invalid model catalogue extra.json: providers.0: defaultModel is not one of models",
    );
  });

  it("resolves its models with the vendor's endpoint when no base URL is set", () => {
    const anthropic = catalogue.providers.find((p) => p.name === "anthropic");
    if (!anthropic) throw new Error("no anthropic in the catalogue");
    const { name, api, models } = anthropic;
    const config = {
      providers: [{ name, api, apiKeyEnv: "ANTHROPIC_API_KEY", models }],
      defaultModel: "",
      aliases: {},
    };
    expect(resolveModel(config, "anthropic/claude-sonnet-4-5")).toMatchObject({
      baseUrl: "https://api.anthropic.com",
      price: { input: 3, output: 15 },
    });
  });
});
