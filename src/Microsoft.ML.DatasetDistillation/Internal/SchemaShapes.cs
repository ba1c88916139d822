using System.Reflection;
using Microsoft.ML.Data;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>
/// Makes <see cref="SchemaShape.Column"/> values, whose constructor ML.NET keeps internal, through reflection on that
/// constructor <c>(string name, VectorKind vecKind, DataViewType itemType, bool isKey, SchemaShape annotations)</c>.
/// Returns null when the constructor cannot be reached; callers then leave the column out of the predicted shape.
/// </summary>
internal static class SchemaShapes
{
    private static readonly ConstructorInfo? ColumnConstructor = FindConstructor();

    public static SchemaShape.Column? TryMakeColumn(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey, SchemaShape? annotations = null)
    {
        if (ColumnConstructor is null)
        {
            return null;
        }

        try
        {
            return (SchemaShape.Column)ColumnConstructor.Invoke([name, kind, itemType, isKey, annotations]);
        }
        catch (Exception e) when (e is TargetInvocationException or MemberAccessException or ArgumentException or InvalidCastException)
        {
            return null;
        }
    }

    public static SchemaShape.Column? Find(SchemaShape shape, string name) =>
        shape.Where(c => c.Name == name).Cast<SchemaShape.Column?>().LastOrDefault();

    /// <summary>The feature column of <paramref name="inputSchema"/>; throws naming it unless it is a known-size vector of Single.</summary>
    public static SchemaShape.Column FeatureColumn(SchemaShape inputSchema, string name)
    {
        SchemaShape.Column feature = Find(inputSchema, name)
            ?? throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The feature column '{name}' was not found in the input; it must be {LabeledRowReader.ExpectedFeature}.");
        if (feature.Kind != SchemaShape.Column.VectorKind.Vector || feature.ItemType != NumberDataViewType.Single || feature.IsKey)
        {
            string found = feature.Kind == SchemaShape.Column.VectorKind.VariableVector ? "a variable-size vector" : $"{feature.Kind} of {feature.ItemType}";
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The feature column '{name}' must be {LabeledRowReader.ExpectedFeature}, but it is {found}.");
        }

        return feature;
    }

    private static ConstructorInfo? FindConstructor()
    {
        try
        {
            return typeof(SchemaShape.Column).GetConstructor(
                BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public,
                [typeof(string), typeof(SchemaShape.Column.VectorKind), typeof(DataViewType), typeof(bool), typeof(SchemaShape)]);
        }
        catch (Exception e) when (e is AmbiguousMatchException or MemberAccessException)
        {
            return null;
        }
    }
}
