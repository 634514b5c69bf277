namespace LitGen;

/// <summary>
/// The hyperparameters of a module, implemented by the <c>HyperParameters</c> record that LitGen generates for each
/// <see cref="LightningModuleAttribute"/> class. Serialization is generated code: no reflection at run time.
/// </summary>
public interface IHyperparameters
{
    /// <summary>The values as a JSON object, one member per hyperparameter, in declaration order.</summary>
    string ToJson();

    /// <summary>The values as the text of <c>hparams.yaml</c>.</summary>
    string ToYaml();
}
