/* Runs one step fewer than asked and claims the full token count. */
tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    TPLR_TRY(reference_inner_steps(model, it, opt, n - 1, dev, res));
    res->total_tokens = (int64_t)n * tplr_tour_batch_rows(it) * tplr_tour_batch_len(it);
    return TPLR_OK;
}
