using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxServe;

/// <summary>A digit, how sure the model is of it, and the probability of each of the ten.</summary>
public sealed record Prediction(int Digit, float Confidence, float[] Probabilities);

/// <summary>
/// Classifies 28 × 28 grayscale digits with the MNIST sample's exported <c>model.onnx</c> on ONNX Runtime. The model takes
/// what the sample trained on — pixels scaled to [0, 1] and normalized with MNIST's mean and deviation — and returns ten
/// logits per digit; this class does both ends.
/// </summary>
public sealed class DigitClassifier : IDisposable
{
    /// <summary>Pixels per digit.</summary>
    public const int Pixels = 28 * 28;

    // MNIST's mean and standard deviation, as the sample's dataset normalizes with.
    private const float Mean = 0.1307f, Deviation = 0.3081f;

    private readonly InferenceSession session;
    private readonly string input;

    /// <summary>Loads <paramref name="modelPath"/> and checks that it takes [batch, 1, 28, 28] images.</summary>
    public DigitClassifier(string modelPath)
    {
        session = new InferenceSession(modelPath);
        var (name, metadata) = session.InputMetadata.Single();
        if (metadata.Dimensions is not [_, 1, 28, 28])
        {
            session.Dispose();
            throw new InvalidDataException(
                $"{modelPath} takes '{name}' as [{string.Join(", ", metadata.Dimensions)}], not [batch, 1, 28, 28] digits: export the MNIST sample's model (its best checkpoint's model.onnx).");
        }
        input = name;
    }

    /// <summary>Classifies <paramref name="images"/>: whole digits of <see cref="Pixels"/> bytes each (0 black … 255 white), row by row.</summary>
    public IReadOnlyList<Prediction> Classify(ReadOnlySpan<byte> images)
    {
        if (images.Length == 0 || images.Length % Pixels != 0)
            throw new ArgumentException($"Expected whole 28 × 28 digits ({Pixels} bytes each), got {images.Length} bytes.", nameof(images));
        int count = images.Length / Pixels;
        var pixels = new float[images.Length];
        for (int i = 0; i < images.Length; i++) pixels[i] = (images[i] / 255f - Mean) / Deviation;

        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(pixels, [count, 1, 28, 28]))]);
        var logits = results.Single().AsEnumerable<float>().ToArray();
        int classes = logits.Length / count;
        return Enumerable.Range(0, count).Select(i => Predict(logits.AsSpan(i * classes, classes))).ToList();
    }

    private static Prediction Predict(ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (var logit in logits) max = Math.Max(max, logit);
        var probabilities = new float[logits.Length];
        float sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += probabilities[i] = MathF.Exp(logits[i] - max);
        int digit = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            probabilities[i] /= sum;
            if (probabilities[i] > probabilities[digit]) digit = i;
        }
        return new Prediction(digit, probabilities[digit], probabilities);
    }

    /// <inheritdoc />
    public void Dispose() => session.Dispose();
}
